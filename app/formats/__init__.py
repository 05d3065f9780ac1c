"""Partner formats (spec section 9): pure translations between other standards' documents and netcop's own.

Each module in here turns one kind of document into the body of a report (spec section 3), or a picture into a
document, without I/O: ``geojson_in`` (a FeatureCollection drawn in a GIS), ``cap`` (a CAP 1.2 alert), ``cot``
(Cursor-on-Target events), ``cap_out`` (an incident's public objects as a CAP 1.2 alert). The HTTP edge
(``app/api/ingest.py``) reads the document, hands it to one of these, and gives the report it gets back to the very
path ``POST /api/v1/reports`` takes, so that every guarantee of that route holds for every format.

A translation that finds the document wrong raises ``Invalid`` at a path in the document (``features[2].id``,
``alert.info[0].area[1].polygon[0]``); it also returns a ``locate`` function that puts the paths of the contract's
own checks (``objects[3].properties.note``) in terms of the document.
"""
