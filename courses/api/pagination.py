"""Paging of the admin API's long lists: a cursor over a unique ordering (the id), so a page costs the same
query however deep it is (no OFFSET, no COUNT) and a row written while a script pages is neither skipped
nor seen twice. `next` and `previous` are whole URLs to follow; `page_size` asks for up to 500 rows."""

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class NewestFirstPagination(IdCursorPagination):
    ordering = "-id"
