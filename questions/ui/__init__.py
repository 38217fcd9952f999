"""The app shell every page uses: language and UI text, profile, the cached bank and store, page routes."""
