// Command kstatus-check prints the verdict of kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status),
// the health library Flux and kpt use, for one Kubernetes object read as JSON from standard input
// (for example the output of `kubectl get -o json`). It prints one JSON line:
//
//	{"status":"InProgress","message":"..."}
//
// The tests of sds-operator ask it instead of assuming what kstatus would say.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type verdict struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "kstatus-check: %v\n", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	body, err := io.ReadAll(in)
	if err != nil {
		return fmt.Errorf("reading standard input: %w", err)
	}
	var object unstructured.Unstructured
	if err := object.UnmarshalJSON(body); err != nil {
		return fmt.Errorf("standard input is not one Kubernetes object as JSON: %w", err)
	}
	result, err := status.Compute(&object)
	if err != nil {
		return fmt.Errorf("kstatus could not compute a status: %w", err)
	}
	return json.NewEncoder(out).Encode(verdict{
		Status:  result.Status.String(),
		Message: result.Message,
	})
}
