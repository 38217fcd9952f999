"""Streamlit pages of the question bank, practice, quiz, mock interview, progress and exercises."""
