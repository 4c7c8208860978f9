"""Background work: rq job functions and the image providers they call."""
