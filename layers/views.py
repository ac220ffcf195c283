"""The open-data page (server-rendered, Bahasa Indonesia first): every
published layer with its metadata and download links, the base of the Daftar
Informasi Publik for spatial data."""
from django.shortcuts import render

from .apis import layer_links
from .registry import layers_public


def open_data(request):
    entries = [{"layer": layer, "meta": layer.metadata(), "links": layer_links(request, layer)}
               for layer in layers_public()]
    return render(request, "layers/open_data.html", {"entries": entries})
