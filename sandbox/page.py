"""Sandbox page (placeholder until the sandbox feature lands)."""
import streamlit as st

st.info("Sandbox: coming soon.")
