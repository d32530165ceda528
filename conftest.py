# pytester runs pytest inside the plugin's own tests; it has to be enabled in the root conftest.
pytest_plugins = ["pytester"]
