"""Tests of videoclient.emulator (a package so test modules can share helpers)."""
