# Block store tests (see store tests owner).
