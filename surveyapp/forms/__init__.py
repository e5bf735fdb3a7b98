"""WTForms classes: what each page accepts, validated on the server."""
