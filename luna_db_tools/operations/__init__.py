"""What revisions import: catalog steps with short lock timeouts, batched backfills, online index builds."""
