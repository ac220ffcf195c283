"""Fixtures of the layers tests: the OGC schemas and a planner user."""
import json
from pathlib import Path

import jsonschema
import pytest

SCHEMA = json.loads((Path(__file__).parent / "data" / "ogcapi_features_1.schema.json").read_text())


@pytest.fixture
def ogc_validate():
    """ogc_validate(document, "landingPage") raises on a schema violation."""
    def validate(document, definition: str):
        schema = {"$ref": f"#/$defs/{definition}", "$defs": SCHEMA["$defs"]}
        jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    return validate
