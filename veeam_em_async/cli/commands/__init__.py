"""One module a noun of ``veeam-em``: its click commands and what they do."""
