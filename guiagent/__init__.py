"""guiagent: let GLM-4.1V operate real graphical interfaces."""
