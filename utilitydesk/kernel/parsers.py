"""The API's request parsers (settings.REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]): DRF's own,
with every string of the body cleaned by core.text.clean_text, as the web forms are by
core.middleware."""

from rest_framework.parsers import DataAndFiles, FormParser, JSONParser, MultiPartParser

from .text import clean_data, clean_query_dict


class CleanJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return clean_data(super().parse(stream, media_type, parser_context))


class CleanFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return clean_query_dict(super().parse(stream, media_type, parser_context))


class CleanMultiPartParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        return DataAndFiles(clean_query_dict(parsed.data), parsed.files)
