import { apiError } from "~/.server/api/http";

/** Unknown /api/v1 paths answer JSON, not the HTML 404 page. */
export const loader = () => apiError(404, "no such API endpoint: see the README's /api/v1 table");
export const action = loader;
