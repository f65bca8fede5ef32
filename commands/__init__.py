"""One module per thing a user asks: parse the words, call the services, return a reply model."""
