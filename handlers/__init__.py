"""Framework-neutral conversation: neutral events in, neutral actions out."""
