package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var staticFiles embed.FS

//go:embed openapi.json
var openAPI []byte

// staticHandler serves the cockpit's page, script and vendored libraries (make vendor
// copies ECharts from the npm registry into static/vendor before the build).
func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFiles, "static")
	return http.FileServer(http.FS(sub))
}

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}
