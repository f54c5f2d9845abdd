package onnx

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

// The first two members of OrtApiBase (onnxruntime_c_api.h); they are the
// only stable part of the ABI across ONNX Runtime versions.
typedef struct {
	const void *(*GetApi)(uint32_t version);
	const char *(*GetVersionString)(void);
} srb_ort_api_base;

typedef const srb_ort_api_base *(*srb_get_api_base_fn)(void);

// srb_ort_version loads the library at path and writes its version string
// (or an error message) into out. It returns 0 on success. On success the
// library stays loaded (ONNX Runtime is not meant to be unloaded, and the
// bindings load the same file right after).
static int srb_ort_version(const char *path, char *out, size_t n) {
	void *h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
	if (h == NULL) {
		const char *e = dlerror();
		snprintf(out, n, "%s", e ? e : "dlopen failed");
		return 1;
	}
	void *f = dlsym(h, "OrtGetApiBase");
	if (f == NULL) {
		const char *e = dlerror();
		snprintf(out, n, "no OrtGetApiBase symbol: %s", e ? e : "dlsym failed");
		dlclose(h);
		return 2;
	}
	const srb_ort_api_base *base = ((srb_get_api_base_fn)f)();
	if (base == NULL || base->GetVersionString == NULL) {
		snprintf(out, n, "OrtGetApiBase returned no version function");
		dlclose(h);
		return 3;
	}
	const char *v = base->GetVersionString();
	snprintf(out, n, "%s", v ? v : "");
	return 0;
}
*/
import "C"

import (
	"errors"
	"unsafe"
)

// probeVersion loads the ONNX Runtime library at path and returns its
// version string, without initialising it.
func probeVersion(path string) (string, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var buf [512]C.char
	rc := C.srb_ort_version(cpath, &buf[0], C.size_t(len(buf)))
	msg := C.GoString(&buf[0])
	if rc != 0 {
		return "", errors.New(msg)
	}
	return msg, nil
}
