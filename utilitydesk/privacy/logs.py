import logging

from .masking import mask_phones_in_text


class MaskPhoneNumbers(logging.Filter):
    """Masks phone numbers in every log line (request lines carry search terms)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_phones_in_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
