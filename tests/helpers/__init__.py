"""Test helpers: stub servers, document builders, configs (imported as tests.helpers.*)."""
