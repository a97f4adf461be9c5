"""Monitor: real-time electronic supervision (电子监察) as a faust-streaming worker."""
