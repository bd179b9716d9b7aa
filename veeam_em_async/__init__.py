"""veeam_em_async: an asyncio client for the Veeam Backup Enterprise Manager REST API."""
