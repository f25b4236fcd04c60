// MathJax for the $...$ and $$...$$ in docstrings (pymdownx.arithmatex, generic mode)
window.MathJax = {
  tex: {inlineMath: [["\\(", "\\)"]], displayMath: [["\\[", "\\]"]], processEscapes: true},
  options: {ignoreHtmlClass: ".*|", processHtmlClass: "arithmatex"},
};
document$.subscribe(() => MathJax.typesetPromise());
