"""Custom Rasa NLU components for the 信用中国（吉林市） assistant.

``normalizer.TextNormalizer`` rewrites the message text before tokenization (width folding,
Traditional → Simplified, domain typo fixes) without changing its length, so entity offsets stay
valid. ``pinyin_converter.PinyinConverter`` then turns pinyin typed instead of characters into the words of
the training data (``pinyin``: the table and the conversion; it changes the length of the text).
``canonical.EntityCanonicalizer`` runs after the extractors and rewrites ``uscc`` and
``application_id`` values to their canonical forms, adding any the statistical extractors missed.
The text steps they use (``text``: normalisation; ``codes``: finding and canonicalising codes) import
no Rasa module, so scripts and tests can use them alone.
"""
