"""Understanding a buyer message: language, mood, sensitive subjects, order ids, topic."""
