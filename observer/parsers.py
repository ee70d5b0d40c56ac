"""The API's request parser: DRF's JSON parser, with the input rules of
observer.json_input (depth, text), so that no body can fail as a server error."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from observer import json_input


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            return json_input.loads(raw.decode(encoding))
        except LookupError:
            raise ParseError(f"JSON parse error - unknown charset {encoding!r}.") from None
        except UnicodeDecodeError:
            raise ParseError(f"JSON parse error - the body is not {encoding}.") from None
        except json_input.MalformedJSON as error:
            raise ParseError(f"JSON parse error - {error}") from None
