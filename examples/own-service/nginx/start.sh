#!/bin/sh
# Write the response of the size asked for, then run nginx in the foreground.
set -eu
case "${PAYLOAD_BYTES}" in
    ''|*[!0-9]*) echo "PAYLOAD_BYTES must be a whole number of bytes, got '${PAYLOAD_BYTES}'" >&2; exit 2 ;;
esac
head -c "$PAYLOAD_BYTES" /dev/zero | tr '\0' x > /srv/www/payload
exec nginx -g 'daemon off;'
