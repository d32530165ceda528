"""The end of a run, without pytest: the run record (results.json as a type), merge() of xdist
workers' payloads and CI shards' files, the shard plan, conclude() (claims, unused entries,
warnings, the exit status), the writer, the terminal summary, and the commands that work on
records (`optbench report`, `merge`, `accept`)."""
