"""kartoitus: the platform-neutral core of the critical-points self-assessment bot."""
