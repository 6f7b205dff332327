// Command argocd-lua-check runs an Argo CD resource-customization Lua script (health.lua,
// actions/discovery.lua or actions/<name>/action.lua) on one Kubernetes object read as JSON from
// standard input, the way Argo CD runs it: github.com/yuin/gopher-lua with only the package,
// base and table libraries and an os module limited to time and date (reachable through
// require("os")), the object as the global `obj`, one second at most. It prints the table the
// script returns as one JSON line; for a health script, a status Argo CD does not know becomes
// Unknown, as in Argo CD.
//
// The tests of sds-operator ask it instead of assuming what Argo CD would show.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func main() {
	health := flag.Bool("health", false, "the script is a health check: check the status it returns")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: argocd-lua-check [-health] SCRIPT.lua < object.json")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *health, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "argocd-lua-check: %v\n", err)
		os.Exit(1)
	}
}

func run(path string, health bool, in io.Reader, out io.Writer) error {
	script, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(in)
	if err != nil {
		return fmt.Errorf("reading standard input: %w", err)
	}
	var object unstructured.Unstructured
	if err := object.UnmarshalJSON(body); err != nil {
		return fmt.Errorf("standard input is not one Kubernetes object as JSON: %w", err)
	}
	result, err := execute(string(script), object.Object)
	if err != nil {
		return err
	}
	if health {
		result = checkedHealth(result)
	}
	return json.NewEncoder(out).Encode(result)
}

// execute runs the script in a state set up as Argo CD sets up its own for custom scripts.
func execute(script string, object map[string]interface{}) (interface{}, error) {
	state := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer state.Close()
	for name, open := range map[string]lua.LGFunction{
		lua.LoadLibName: lua.OpenPackage,
		lua.BaseLibName: lua.OpenBase,
		lua.TabLibName:  lua.OpenTable,
	} {
		if err := state.CallByParam(lua.P{Fn: state.NewFunction(open), Protect: true}, lua.LString(name)); err != nil {
			return nil, err
		}
	}
	state.PreloadModule(lua.OsLibName, limitedOs)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	state.SetContext(ctx)
	state.SetGlobal("obj", toLua(state, object))
	if err := state.DoString(script); err != nil {
		return nil, fmt.Errorf("the script failed: %w", err)
	}
	returned := state.Get(-1)
	table, ok := returned.(*lua.LTable)
	if !ok {
		return nil, fmt.Errorf("the script returned %s, not a table", returned.Type())
	}
	return fromLua(table), nil
}

// limitedOs is the os module of the sandbox: gopher-lua's own time and date, nothing that
// touches files, processes or the environment.
func limitedOs(state *lua.LState) int {
	if err := state.CallByParam(lua.P{Fn: state.NewFunction(lua.OpenOs), NRet: 1, Protect: true}); err != nil {
		state.RaiseError("opening os: %v", err)
	}
	full := state.Get(-1).(*lua.LTable)
	state.Pop(1)
	module := state.NewTable()
	for _, name := range []string{"time", "date"} {
		module.RawSetString(name, full.RawGetString(name))
	}
	// OpenOs also set the global os; the sandbox has none.
	state.SetGlobal(lua.OsLibName, lua.LNil)
	state.Push(module)
	return 1
}

// toLua turns a decoded JSON value into Lua: objects and arrays become tables (arrays from 1),
// numbers numbers, null nil.
func toLua(state *lua.LState, value interface{}) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case json.Number:
		return lua.LString(v)
	case []interface{}:
		table := state.CreateTable(len(v), 0)
		for _, item := range v {
			table.Append(toLua(state, item))
		}
		return table
	case map[string]interface{}:
		table := state.CreateTable(0, len(v))
		for key, item := range v {
			table.RawSetString(key, toLua(state, item))
		}
		return table
	default:
		return lua.LNil
	}
}

// fromLua turns a returned value back into JSON terms: a table with only the keys 1..n is an
// array (an empty table too), any other table an object.
func fromLua(value lua.LValue) interface{} {
	switch v := value.(type) {
	case lua.LBool:
		return bool(v)
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return float64(v)
	case *lua.LTable:
		length := v.Len()
		count := 0
		v.ForEach(func(lua.LValue, lua.LValue) { count++ })
		if count == length {
			array := make([]interface{}, 0, length)
			for i := 1; i <= length; i++ {
				array = append(array, fromLua(v.RawGetInt(i)))
			}
			return array
		}
		object := make(map[string]interface{}, count)
		v.ForEach(func(key, item lua.LValue) { object[key.String()] = fromLua(item) })
		return object
	default:
		return nil
	}
}

// checkedHealth keeps a health result whose status Argo CD knows; any other becomes Unknown.
func checkedHealth(result interface{}) interface{} {
	known := map[string]bool{"Healthy": true, "Progressing": true, "Degraded": true, "Suspended": true, "Missing": true, "Unknown": true}
	if health, ok := result.(map[string]interface{}); ok {
		if status, ok := health["status"].(string); ok && known[status] {
			return health
		}
	}
	return map[string]interface{}{"status": "Unknown", "message": "Lua returned an invalid health status"}
}
