"""Codecs: one module per protocol, turning request bodies into model input and predictions into
response bodies. They use the input schema compiled at start and know nothing of flask."""
