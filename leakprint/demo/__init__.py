"""``leakprint demo``: the end-to-end demo on synthetic customers and local sites."""
