"""Custom actions of the 信用中国（吉林市） credit-service assistant (Rasa SDK 3.6)."""
