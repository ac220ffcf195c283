"""URLs of this app, with their full paths (config.urls mounts every app at /)."""
urlpatterns = []
