"""One dlt package per source: landed files, the collector spool, HubSpot, provider usage."""
