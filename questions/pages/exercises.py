"""Exercises page (placeholder until the exercises feature lands)."""
import streamlit as st

st.info("Exercises: coming soon.")
