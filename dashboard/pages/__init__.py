"""One module per page: its layout (widget cards) and the callbacks that fill them."""
