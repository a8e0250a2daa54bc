/** Styles esbuild bundles into console.css. */
declare module "*.css"
