/** No icon: answer quietly instead of rendering the 404 page for every browser's request. */
export const loader = () => new Response(null, { status: 204, headers: { "cache-control": "public, max-age=86400" } });
