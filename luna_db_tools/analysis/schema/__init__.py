"""Schema comparison: catalog snapshots and their compare, fingerprints, drift, adopt's matching, the stairway.

Pure: it takes snapshots (read by command/catalog_reader.py) and returns differences; it never connects.
"""
