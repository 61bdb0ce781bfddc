"""Credit backend: the system of record of the 信用中国（吉林市） assistant."""
