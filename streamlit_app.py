"""SRGAN Studio dashboard: `streamlit run streamlit_app.py`. Page config and navigation only."""

import streamlit as st

from pages.common import page_errors

st.set_page_config(page_title="SRGAN Studio", page_icon=":material/hd:", layout="wide")

page = st.navigation(
    [
        st.Page("pages/upscale.py", title="Upscale & compare", icon=":material/compare:", default=True),
        st.Page("pages/architecture.py", title="Architecture", icon=":material/account_tree:"),
        st.Page("pages/benchmarks.py", title="Benchmarks", icon=":material/leaderboard:"),
    ]
)
with page_errors(f"showing the {page.title} page"):  # the pages catch their own; this is the last net
    page.run()
