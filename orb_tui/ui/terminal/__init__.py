"""The terminal: emulator, renderer, key encoding and the TerminalView widget."""
