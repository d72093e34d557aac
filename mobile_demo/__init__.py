"""The converted models running as a phone runs them: a LiteRT.js browser page, its server and checks."""
