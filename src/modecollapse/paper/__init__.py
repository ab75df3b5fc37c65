"""The LaTeX report (paper/main.tex): its generated parts and their compilation."""
