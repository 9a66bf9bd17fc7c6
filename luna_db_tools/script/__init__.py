"""A schema's revision history: the script directory, plans of steps, revision files and their earlier forms."""
