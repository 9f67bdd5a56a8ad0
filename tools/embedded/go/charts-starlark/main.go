// charts-starlark evaluates a Tiltfile with go.starlark.net (the interpreter Tilt embeds) and stub
// implementations of the Tilt builtins the project uses. The stubs take Tilt's parameter names (so an
// unknown or misspelt keyword fails), check what Tilt would reject at load time (missing files, images no
// workload uses, resources or dependencies that do not exist, bad port forwards) and print what the
// Tiltfile declared as JSON. They never run a command: `local()` answers from --local-output.
//
//	charts-starlark [--context kind-content-factory] [--local 'substring=output' ...]
//	                [--pods-ready-after 'resource=resource' ...] <Tiltfile>
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
	"go.yaml.in/yaml/v3"
)

type k8sObject struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Name       string   `json:"name"`
	Namespace  string   `json:"namespace"`
	Images     []string `json:"images"`
	File       string   `json:"file"`
	// selector is a Service's spec.selector; podLabels are a workload's pod template labels (Tilt pairs them).
	selector  map[string]string
	podLabels []map[string]string
}

// selectorID is the fragment Tilt names an object by: name:Kind[:namespace].
func (o k8sObject) selectorID() string {
	id := o.Name + ":" + o.Kind
	if o.Namespace != "" {
		id += ":" + o.Namespace
	}
	return id
}

// pairedWorkload is the workload Tilt attaches a Service to by itself (internal/k8s FilterByMatchesPodTemplateSpec:
// the Service's non-empty selector matches a pod template's labels, same namespace or none), or "".
func (s *state) pairedWorkload(svc k8sObject) string {
	if svc.Kind != "Service" || len(svc.selector) == 0 {
		return ""
	}
	for _, w := range s.objects {
		if !workloadKinds[w.Kind] || (svc.Namespace != "" && svc.Namespace != w.Namespace) {
			continue
		}
		for _, labels := range w.podLabels {
			matches := true
			for k, v := range svc.selector {
				matches = matches && labels[k] == v
			}
			if matches {
				return w.Name
			}
		}
	}
	return ""
}

type portForward struct {
	LocalPort     int    `json:"localPort"`
	ContainerPort int    `json:"containerPort"`
	Name          string `json:"name,omitempty"`
}

type resource struct {
	Name         string        `json:"name"`
	Type         string        `json:"type"` // k8s | local
	Workload     string        `json:"workload,omitempty"`
	Objects      []string      `json:"objects"`
	ResourceDeps []string      `json:"resourceDeps"`
	PortForwards []portForward `json:"portForwards"`
	Labels       []string      `json:"labels"`
	Cmd          string        `json:"cmd,omitempty"`
	ServeCmd     string        `json:"serveCmd,omitempty"`
	Deps         []string      `json:"deps"`
	AutoInit     bool          `json:"autoInit"`
	// PodReadiness is Tilt's effective mode (tiltfile_state.go inferPodReadinessMode): k8s_resource(pod_readiness=...)
	// if given; else by the workload's kind (tiltfile/k8s/resource.go InitialKinds: a Job "succeeded", a CronJob
	// "ignore"); else "ignore" for a resource of objects only, "wait" for any other workload.
	PodReadiness string `json:"podReadiness,omitempty"`
	// FirstDeploy and Ready are the rounds of simulateFirstDeploy at which the resource was first deployed and
	// first counted as ready; -1 means never.
	FirstDeploy int `json:"firstDeploy"`
	Ready       int `json:"ready"`
	order       int
}

type liveUpdateStep struct {
	Type       string   `json:"type"`
	LocalPath  string   `json:"localPath,omitempty"`
	RemotePath string   `json:"remotePath,omitempty"`
	Cmd        string   `json:"cmd,omitempty"`
	Trigger    []string `json:"trigger,omitempty"`
	Files      []string `json:"files,omitempty"`
}

type image struct {
	Ref        string            `json:"ref"`
	Context    string            `json:"context"`
	Dockerfile string            `json:"dockerfile"`
	LiveUpdate []liveUpdateStep  `json:"liveUpdate"`
	Only       []string          `json:"only"`
	Target     string            `json:"target,omitempty"`
	Ignore     []string          `json:"ignore"`
	BuildArgs  map[string]string `json:"buildArgs"`
}

type state struct {
	dir             string
	context         string
	localOutputs    [][2]string
	allowedContexts []string
	yamlFiles       []string
	objects         []k8sObject
	images          []image
	resources       map[string]*resource
	localCalls      []string
	settings        map[string]any
	prints          []string
	order           int
}

// kindPodReadiness is Tilt's pod readiness of a resource by its workload's kind: the two kinds InitialKinds
// registers, "wait" for the rest. Real Tilt (alpha tiltfile-result) gave the logging setup Job "succeeded" and
// the Vault backup CronJob "ignore" where this runner had said "wait".
var kindPodReadiness = map[string]string{
	"Deployment": "wait", "StatefulSet": "wait", "DaemonSet": "wait", "ReplicaSet": "wait", "Pod": "wait",
	"Job": "succeeded", "CronJob": "ignore",
}

// workloadKind is the kind of the loaded workload object of that name.
func (s *state) workloadKind(name string) string {
	for _, o := range s.objects {
		if workloadKinds[o.Kind] && strings.EqualFold(o.Name, name) {
			return o.Kind
		}
	}
	return ""
}

var workloadKinds = map[string]bool{
	"Deployment": true, "StatefulSet": true, "DaemonSet": true, "ReplicaSet": true, "Job": true, "CronJob": true, "Pod": true,
}

func (s *state) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(s.dir, p)
}

func (s *state) mustExist(fn, what, p string) error {
	if _, err := os.Stat(s.abs(p)); err != nil {
		return fmt.Errorf("%s: %s %q does not exist", fn, what, p)
	}
	return nil
}

func toStrings(v starlark.Value, what string) ([]string, error) {
	switch x := v.(type) {
	case nil, starlark.NoneType:
		return nil, nil
	case starlark.String:
		return []string{string(x)}, nil
	case *starlark.List, starlark.Tuple:
		out := []string{}
		iter := starlark.Iterate(x)
		defer iter.Done()
		var item starlark.Value
		for iter.Next(&item) {
			str, ok := item.(starlark.String)
			if !ok {
				return nil, fmt.Errorf("%s: expected a string, got %s", what, item.Type())
			}
			out = append(out, string(str))
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: expected a string or a list of strings, got %s", what, v.Type())
}

// blob is Tilt's Blob: text that is not a path.
type blob struct{ text string }

func (b blob) String() string        { return b.text }
func (b blob) Type() string          { return "blob" }
func (b blob) Freeze()               {}
func (b blob) Truth() starlark.Bool  { return b.text != "" }
func (b blob) Hash() (uint32, error) { return starlark.String(b.text).Hash() }

// liveUpdateValue is the value sync()/run()/fall_back_on() return.
type liveUpdateValue struct{ step liveUpdateStep }

func (l liveUpdateValue) String() string        { return "live_update_step(" + l.step.Type + ")" }
func (l liveUpdateValue) Type() string          { return "live_update_step" }
func (l liveUpdateValue) Freeze()               {}
func (l liveUpdateValue) Truth() starlark.Bool  { return true }
func (l liveUpdateValue) Hash() (uint32, error) { return 0, errors.New("unhashable") }

func (s *state) parseYAML(text, file string) error {
	decoder := yaml.NewDecoder(strings.NewReader(text))
	for {
		var doc map[string]any
		err := decoder.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("k8s_yaml: %s: %v", file, err)
		}
		if doc == nil {
			continue
		}
		kind, _ := doc["kind"].(string)
		apiVersion, _ := doc["apiVersion"].(string)
		meta, _ := doc["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		namespace, _ := meta["namespace"].(string)
		if kind == "" || apiVersion == "" || name == "" {
			return fmt.Errorf("k8s_yaml: %s: an object without apiVersion, kind or metadata.name", file)
		}
		obj := k8sObject{APIVersion: apiVersion, Kind: kind, Name: name, Namespace: namespace, File: file, Images: []string{}}
		if workloadKinds[kind] {
			obj.Images = containerImages(doc)
			obj.podLabels = podTemplateLabels(kind, doc)
		}
		if kind == "Service" {
			spec, _ := doc["spec"].(map[string]any)
			sel, _ := spec["selector"].(map[string]any)
			obj.selector = stringMap(sel)
		}
		for _, existing := range s.objects {
			if existing.Kind == kind && existing.Name == name && existing.Namespace == namespace {
				return fmt.Errorf("k8s_yaml: duplicate object %s %s/%s", kind, namespace, name)
			}
		}
		s.objects = append(s.objects, obj)
	}
}

func stringMap(m map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if str, ok := v.(string); ok {
			out[k] = str
		}
	}
	return out
}

// podTemplateLabels are the labels of the pods a workload creates (a Pod's own, a CronJob's job template's).
func podTemplateLabels(kind string, doc map[string]any) []map[string]string {
	dig := func(v any, path ...string) map[string]any {
		for _, key := range path {
			m, _ := v.(map[string]any)
			v = m[key]
		}
		m, _ := v.(map[string]any)
		return m
	}
	switch kind {
	case "Pod":
		return []map[string]string{stringMap(dig(doc, "metadata", "labels"))}
	case "CronJob":
		return []map[string]string{stringMap(dig(doc, "spec", "jobTemplate", "spec", "template", "metadata", "labels"))}
	}
	return []map[string]string{stringMap(dig(doc, "spec", "template", "metadata", "labels"))}
}

func containerImages(doc map[string]any) []string {
	images := []string{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for key, value := range x {
				if key == "containers" || key == "initContainers" {
					if list, ok := value.([]any); ok {
						for _, c := range list {
							if cm, ok := c.(map[string]any); ok {
								if img, ok := cm["image"].(string); ok {
									images = append(images, img)
								}
							}
						}
					}
				} else {
					walk(value)
				}
			}
		case []any:
			for _, item := range x {
				walk(item)
			}
		}
	}
	walk(doc)
	sort.Strings(images)
	return images
}

func imageMatches(ref, containerImage string) bool {
	name := containerImage
	if at := strings.Index(name, "@"); at >= 0 {
		name = name[:at]
	}
	if colon := strings.LastIndex(name, ":"); colon > strings.LastIndex(name, "/") {
		name = name[:colon]
	}
	norm := func(n string) string {
		n = strings.TrimPrefix(n, "docker.io/")
		return strings.TrimPrefix(n, "library/")
	}
	return norm(name) == norm(ref)
}

func (s *state) builtins() starlark.StringDict {
	b := func(name string, fn func(thread *starlark.Thread, fnName string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)) *starlark.Builtin {
		return starlark.NewBuiltin(name, func(thread *starlark.Thread, f *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			return fn(thread, f.Name(), args, kwargs)
		})
	}
	osPath := starlarkstruct.FromStringDict(starlark.String("os.path"), starlark.StringDict{
		"exists": b("os.path.exists", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var p string
			if err := starlark.UnpackArgs(fn, args, kwargs, "path", &p); err != nil {
				return nil, err
			}
			_, err := os.Stat(s.abs(p))
			return starlark.Bool(err == nil), nil
		}),
		"join": b("os.path.join", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if len(kwargs) > 0 {
				return nil, fmt.Errorf("%s: unexpected keyword arguments", fn)
			}
			parts := []string{}
			for _, a := range args {
				str, ok := a.(starlark.String)
				if !ok {
					return nil, fmt.Errorf("%s: expected strings", fn)
				}
				parts = append(parts, string(str))
			}
			return starlark.String(filepath.Join(parts...)), nil
		}),
		"basename": b("os.path.basename", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var p string
			if err := starlark.UnpackArgs(fn, args, kwargs, "path", &p); err != nil {
				return nil, err
			}
			return starlark.String(filepath.Base(p)), nil
		}),
	})
	osModule := starlarkstruct.FromStringDict(starlark.String("os"), starlark.StringDict{
		"path": osPath,
		"getcwd": b("os.getcwd", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := starlark.UnpackArgs(fn, args, kwargs); err != nil {
				return nil, err
			}
			return starlark.String(s.dir), nil
		}),
	})
	return starlark.StringDict{
		"os":                  osModule,
		"TRIGGER_MODE_AUTO":   starlark.MakeInt(0),
		"TRIGGER_MODE_MANUAL": starlark.MakeInt(1),
		"fail": b("fail", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var msg string
			if err := starlark.UnpackArgs(fn, args, kwargs, "msg", &msg); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("fail: %s", msg)
		}),
		"allow_k8s_contexts": b("allow_k8s_contexts", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var contexts starlark.Value
			if err := starlark.UnpackArgs(fn, args, kwargs, "contexts", &contexts); err != nil {
				return nil, err
			}
			list, err := toStrings(contexts, fn)
			if err != nil {
				return nil, err
			}
			s.allowedContexts = append(s.allowedContexts, list...)
			return starlark.None, nil
		}),
		"k8s_context": b("k8s_context", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := starlark.UnpackArgs(fn, args, kwargs); err != nil {
				return nil, err
			}
			return starlark.String(s.context), nil
		}),
		"update_settings": b("update_settings", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var parallel, upsert int = 3, 30
			var suppress starlark.Value
			if err := starlark.UnpackArgs(fn, args, kwargs, "max_parallel_updates?", &parallel, "k8s_upsert_timeout_secs?", &upsert, "suppress_unused_image_warnings?", &suppress); err != nil {
				return nil, err
			}
			if parallel < 1 || upsert < 1 {
				return nil, fmt.Errorf("%s: values must be positive", fn)
			}
			s.settings["max_parallel_updates"] = parallel
			s.settings["k8s_upsert_timeout_secs"] = upsert
			return starlark.None, nil
		}),
		"watch_file": b("watch_file", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var p string
			if err := starlark.UnpackArgs(fn, args, kwargs, "path", &p); err != nil {
				return nil, err
			}
			return starlark.None, nil
		}),
		"blob": b("blob", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var text string
			if err := starlark.UnpackArgs(fn, args, kwargs, "input", &text); err != nil {
				return nil, err
			}
			return blob{text}, nil
		}),
		"read_file": b("read_file", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var p string
			var def starlark.Value = starlark.None
			if err := starlark.UnpackArgs(fn, args, kwargs, "file_path", &p, "default?", &def); err != nil {
				return nil, err
			}
			data, err := os.ReadFile(s.abs(p))
			if err != nil {
				if def != starlark.None {
					return blob{def.(starlark.String).GoString()}, nil
				}
				return nil, fmt.Errorf("%s: %v", fn, err)
			}
			return blob{string(data)}, nil
		}),
		"read_yaml_stream": b("read_yaml_stream", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var p string
			var def starlark.Value = starlark.None
			if err := starlark.UnpackArgs(fn, args, kwargs, "path", &p, "default?", &def); err != nil {
				return nil, err
			}
			data, err := os.ReadFile(s.abs(p))
			if err != nil {
				if def != starlark.None {
					return def, nil
				}
				return nil, fmt.Errorf("%s: %v", fn, err)
			}
			decoder := yaml.NewDecoder(bytes.NewReader(data))
			docs := []starlark.Value{}
			for {
				var doc any
				err := decoder.Decode(&doc)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return nil, fmt.Errorf("%s: %s: %v", fn, p, err)
				}
				if doc == nil {
					continue
				}
				value, err := toStarlark(doc)
				if err != nil {
					return nil, fmt.Errorf("%s: %s: %v", fn, p, err)
				}
				docs = append(docs, value)
			}
			return starlark.NewList(docs), nil
		}),
		"listdir": b("listdir", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var p string
			recursive := false
			if err := starlark.UnpackArgs(fn, args, kwargs, "directory", &p, "recursive?", &recursive); err != nil {
				return nil, err
			}
			entries, err := os.ReadDir(s.abs(p))
			if err != nil {
				return nil, fmt.Errorf("%s: %v", fn, err)
			}
			out := []starlark.Value{}
			for _, e := range entries {
				if !e.IsDir() {
					out = append(out, starlark.String(filepath.Join(s.abs(p), e.Name())))
				}
			}
			return starlark.NewList(out), nil
		}),
		"local": b("local", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var command starlark.Value
			var quiet, echoOff bool
			var commandBat, dir string
			var env *starlark.Dict
			var stdin starlark.Value
			if err := starlark.UnpackArgs(fn, args, kwargs, "command", &command, "quiet?", &quiet, "command_bat?", &commandBat, "echo_off?", &echoOff, "env?", &env, "dir?", &dir, "stdin?", &stdin); err != nil {
				return nil, err
			}
			cmd, err := toStrings(command, fn)
			if err != nil {
				return nil, err
			}
			joined := strings.Join(cmd, " ")
			s.localCalls = append(s.localCalls, joined)
			for _, pair := range s.localOutputs {
				if strings.Contains(joined, pair[0]) {
					return blob{pair[1]}, nil
				}
			}
			return blob{""}, nil
		}),
		"k8s_yaml": b("k8s_yaml", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var value starlark.Value
			allowDuplicates := false
			if err := starlark.UnpackArgs(fn, args, kwargs, "yaml", &value, "allow_duplicates?", &allowDuplicates); err != nil {
				return nil, err
			}
			if bl, ok := value.(blob); ok {
				return starlark.None, s.parseYAML(bl.text, "<blob>")
			}
			files, err := toStrings(value, fn)
			if err != nil {
				return nil, err
			}
			if len(files) == 0 {
				return nil, fmt.Errorf("%s: no files", fn)
			}
			for _, f := range files {
				if err := s.mustExist(fn, "file", f); err != nil {
					return nil, err
				}
				data, _ := os.ReadFile(s.abs(f))
				s.yamlFiles = append(s.yamlFiles, s.abs(f))
				if err := s.parseYAML(string(data), s.abs(f)); err != nil {
					return nil, err
				}
			}
			return starlark.None, nil
		}),
		"sync": b("sync", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var local, remote string
			if err := starlark.UnpackArgs(fn, args, kwargs, "local_path", &local, "remote_path", &remote); err != nil {
				return nil, err
			}
			// Tilt records sync paths without checking them (live_update.go): a build output may not exist yet.
			if !strings.HasPrefix(remote, "/") {
				return nil, fmt.Errorf("%s: remote_path %q must be absolute", fn, remote)
			}
			return liveUpdateValue{liveUpdateStep{Type: "sync", LocalPath: s.abs(local), RemotePath: remote}}, nil
		}),
		"run": b("run", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var cmd string
			var trigger starlark.Value
			echoOff := false
			if err := starlark.UnpackArgs(fn, args, kwargs, "cmd", &cmd, "trigger?", &trigger, "echo_off?", &echoOff); err != nil {
				return nil, err
			}
			triggers, err := toStrings(trigger, fn)
			if err != nil {
				return nil, err
			}
			for i, t := range triggers {
				if err := s.mustExist(fn, "trigger", t); err != nil {
					return nil, err
				}
				triggers[i] = s.abs(t)
			}
			return liveUpdateValue{liveUpdateStep{Type: "run", Cmd: cmd, Trigger: triggers}}, nil
		}),
		"fall_back_on": b("fall_back_on", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var files starlark.Value
			if err := starlark.UnpackArgs(fn, args, kwargs, "files", &files); err != nil {
				return nil, err
			}
			list, err := toStrings(files, fn)
			if err != nil {
				return nil, err
			}
			for i, f := range list {
				if err := s.mustExist(fn, "file", f); err != nil {
					return nil, err
				}
				list[i] = s.abs(f)
			}
			return liveUpdateValue{liveUpdateStep{Type: "fall_back_on", Files: list}}, nil
		}),
		"docker_build": b("docker_build", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var ref, context string
			var buildArgs, env *starlark.Dict
			dockerfile := "Dockerfile"
			var dockerfileContents, target, ssh, network, secret, extraTag, platform string
			var liveUpdate, ignore, only, entrypoint, containerArgs, cacheFrom starlark.Value
			matchInEnvVars, pull := false, false
			if err := starlark.UnpackArgs(fn, args, kwargs, "ref", &ref, "context", &context, "build_args?", &buildArgs,
				"dockerfile?", &dockerfile, "dockerfile_contents?", &dockerfileContents, "live_update?", &liveUpdate,
				"match_in_env_vars?", &matchInEnvVars, "ignore?", &ignore, "only?", &only, "entrypoint?", &entrypoint,
				"target?", &target, "ssh?", &ssh, "network?", &network, "secret?", &secret, "extra_tag?", &extraTag,
				"container_args?", &containerArgs, "cache_from?", &cacheFrom, "pull?", &pull, "platform?", &platform, "env?", &env); err != nil {
				return nil, err
			}
			if err := s.mustExist(fn, "context", context); err != nil {
				return nil, err
			}
			if dockerfileContents == "" {
				if err := s.mustExist(fn, "dockerfile", dockerfile); err != nil {
					return nil, err
				}
			}
			img := image{Ref: ref, Context: s.abs(context), Dockerfile: s.abs(dockerfile), LiveUpdate: []liveUpdateStep{}, Target: target}
			img.BuildArgs = map[string]string{}
			if buildArgs != nil {
				for _, item := range buildArgs.Items() {
					// Tilt passes each as --build-arg NAME=VALUE: both must be strings.
					name, nameOK := starlark.AsString(item[0])
					value, valueOK := starlark.AsString(item[1])
					if !nameOK || !valueOK {
						return nil, fmt.Errorf("%s: build_args must map strings to strings, got %s: %s", fn, item[0].Type(), item[1].Type())
					}
					img.BuildArgs[name] = value
				}
			}
			if target != "" {
				text := dockerfileContents
				if text == "" {
					data, _ := os.ReadFile(s.abs(dockerfile))
					text = string(data)
				}
				// The builder fails on a --target that names no stage.
				if !regexp.MustCompile(`(?im)^\s*FROM\s+\S+\s+AS\s+` + regexp.QuoteMeta(target) + `\s*$`).MatchString(text) {
					return nil, fmt.Errorf("%s: target stage %q not found in %s", fn, target, dockerfile)
				}
			}
			if img.Only, _ = toStrings(only, fn); img.Only == nil {
				img.Only = []string{}
			}
			if img.Ignore, _ = toStrings(ignore, fn); img.Ignore == nil {
				img.Ignore = []string{}
			}
			if liveUpdate != nil {
				list, ok := liveUpdate.(*starlark.List)
				if !ok {
					return nil, fmt.Errorf("%s: live_update must be a list", fn)
				}
				seenSync := false
				for i := 0; i < list.Len(); i++ {
					step, ok := list.Index(i).(liveUpdateValue)
					if !ok {
						return nil, fmt.Errorf("%s: live_update[%d] is a %s, not a live update step", fn, i, list.Index(i).Type())
					}
					switch step.step.Type {
					case "fall_back_on":
						if seenSync {
							return nil, fmt.Errorf("%s: fall_back_on must come before sync and run steps", fn)
						}
					case "sync":
						seenSync = true
						rel, err := filepath.Rel(img.Context, step.step.LocalPath)
						if err != nil || strings.HasPrefix(rel, "..") {
							return nil, fmt.Errorf("%s: sync path %s is outside the build context %s", fn, step.step.LocalPath, img.Context)
						}
					case "run":
						if !seenSync {
							return nil, fmt.Errorf("%s: run must follow a sync step", fn)
						}
					}
					img.LiveUpdate = append(img.LiveUpdate, step.step)
				}
			}
			for _, existing := range s.images {
				if existing.Ref == ref {
					return nil, fmt.Errorf("%s: image %s built twice", fn, ref)
				}
			}
			s.images = append(s.images, img)
			return starlark.None, nil
		}),
		"k8s_resource": b("k8s_resource", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var workload, newName, discovery, podReadiness string
			var portForwards, extraSelectors, resourceDeps, objects, labels, links starlark.Value
			var triggerMode int
			autoInit := true
			if err := starlark.UnpackArgs(fn, args, kwargs, "workload?", &workload, "new_name?", &newName,
				"port_forwards?", &portForwards, "extra_pod_selectors?", &extraSelectors, "trigger_mode?", &triggerMode,
				"resource_deps?", &resourceDeps, "objects?", &objects, "auto_init?", &autoInit, "labels?", &labels,
				"discovery_strategy?", &discovery, "links?", &links, "pod_readiness?", &podReadiness); err != nil {
				return nil, err
			}
			var r *resource
			if workload != "" {
				found := false
				for _, o := range s.objects {
					if workloadKinds[o.Kind] && strings.EqualFold(o.Name, workload) {
						found = true
					}
				}
				if !found {
					if existing, ok := s.resources[workload]; ok && existing.Type == "k8s" {
						r = existing
					} else {
						return nil, fmt.Errorf("%s: no workload found matching %q", fn, workload)
					}
				}
				if r == nil {
					r = s.resource(workload, "k8s")
					r.Workload = workload
				}
				if newName != "" {
					delete(s.resources, r.Name)
					r.Name = newName
					s.resources[newName] = r
				}
			} else {
				if newName == "" {
					return nil, fmt.Errorf("%s: a resource without workload needs new_name", fn)
				}
				if _, exists := s.resources[newName]; exists {
					return nil, fmt.Errorf("%s: resource %q already exists", fn, newName)
				}
				r = s.resource(newName, "k8s")
			}
			objs, err := toStrings(objects, fn)
			if err != nil {
				return nil, err
			}
			for _, selector := range objs {
				parts := strings.Split(selector, ":")
				matched := 0
				for _, o := range s.objects {
					if !strings.EqualFold(o.Name, parts[0]) {
						continue
					}
					if len(parts) > 1 && !strings.EqualFold(o.Kind, parts[1]) {
						continue
					}
					if len(parts) > 2 && o.Namespace != parts[2] {
						continue
					}
					if workloadKinds[o.Kind] {
						return nil, fmt.Errorf("%s: object selector %q names a workload; use k8s_resource(workload)", fn, selector)
					}
					if w := s.pairedWorkload(o); w != "" {
						// Tilt has already moved the Service into its workload's resource (tiltfile_state.go).
						return nil, fmt.Errorf("No object identified by the fragment %q could be found in remaining YAML (Tilt attached Service %s to workload %s by its selector)", selector, o.selectorID(), w)
					}
					matched++
				}
				if matched != 1 || len(parts) > 3 {
					return nil, fmt.Errorf("%s: object selector %q matches %d loaded objects, not exactly one", fn, selector, matched)
				}
				for _, other := range s.resources {
					for _, taken := range other.Objects {
						if strings.EqualFold(taken, selector) {
							return nil, fmt.Errorf("%s: object %q is already part of resource %q", fn, selector, other.Name)
						}
					}
				}
				r.Objects = append(r.Objects, selector)
			}
			if workload == "" && len(r.Objects) == 0 {
				return nil, fmt.Errorf("%s: resource %q has neither a workload nor objects", fn, newName)
			}
			if err := s.addDeps(fn, r, resourceDeps, labels); err != nil {
				return nil, err
			}
			pfs, err := parsePortForwards(fn, portForwards)
			if err != nil {
				return nil, err
			}
			if len(pfs) > 0 && workload == "" {
				return nil, fmt.Errorf("%s: port_forwards need a workload", fn)
			}
			r.PortForwards = append(r.PortForwards, pfs...)
			r.AutoInit = autoInit
			switch podReadiness {
			case "":
			case "wait", "ignore", "succeeded":
				r.PodReadiness = podReadiness
			default:
				return nil, fmt.Errorf("%s: pod_readiness must be 'wait', 'ignore' or 'succeeded', not %q", fn, podReadiness)
			}
			return starlark.None, nil
		}),
		"local_resource": b("local_resource", func(_ *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var name string
			var cmd, serveCmd, deps, resourceDeps, ignore, links, tags, labels, readiness starlark.Value
			var env, serveEnv *starlark.Dict
			var cmdBat, serveCmdBat, dir, serveDir string
			var triggerMode int
			autoInit, allowParallel := true, false
			if err := starlark.UnpackArgs(fn, args, kwargs, "name", &name, "cmd?", &cmd, "deps?", &deps,
				"trigger_mode?", &triggerMode, "resource_deps?", &resourceDeps, "ignore?", &ignore, "auto_init?", &autoInit,
				"serve_cmd?", &serveCmd, "cmd_bat?", &cmdBat, "serve_cmd_bat?", &serveCmdBat, "allow_parallel?", &allowParallel,
				"links?", &links, "tags?", &tags, "env?", &env, "serve_env?", &serveEnv, "readiness_probe?", &readiness,
				"dir?", &dir, "serve_dir?", &serveDir, "labels?", &labels); err != nil {
				return nil, err
			}
			if _, exists := s.resources[name]; exists {
				return nil, fmt.Errorf("%s: resource %q already exists", fn, name)
			}
			command, err := toStrings(cmd, fn)
			if err != nil {
				return nil, err
			}
			serve, err := toStrings(serveCmd, fn)
			if err != nil {
				return nil, err
			}
			if len(command) == 0 && len(serve) == 0 {
				return nil, fmt.Errorf("%s: %q has neither cmd nor serve_cmd", fn, name)
			}
			r := s.resource(name, "local")
			r.Cmd = strings.Join(command, " ")
			r.ServeCmd = strings.Join(serve, " ")
			r.AutoInit = autoInit
			depFiles, err := toStrings(deps, fn)
			if err != nil {
				return nil, err
			}
			for _, d := range depFiles {
				if err := s.mustExist(fn, "deps", d); err != nil {
					return nil, err
				}
				r.Deps = append(r.Deps, s.abs(d))
			}
			return starlark.None, s.addDeps(fn, r, resourceDeps, labels)
		}),
	}
}

// toStarlark converts decoded YAML into Starlark values, as Tilt's read_yaml_stream does.
func toStarlark(v any) (starlark.Value, error) {
	switch x := v.(type) {
	case nil:
		return starlark.None, nil
	case bool:
		return starlark.Bool(x), nil
	case int:
		return starlark.MakeInt(x), nil
	case float64:
		return starlark.Float(x), nil
	case string:
		return starlark.String(x), nil
	case []any:
		items := []starlark.Value{}
		for _, item := range x {
			value, err := toStarlark(item)
			if err != nil {
				return nil, err
			}
			items = append(items, value)
		}
		return starlark.NewList(items), nil
	case map[string]any:
		dict := starlark.NewDict(len(x))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			value, err := toStarlark(x[k])
			if err != nil {
				return nil, err
			}
			if err := dict.SetKey(starlark.String(k), value); err != nil {
				return nil, err
			}
		}
		return dict, nil
	}
	return nil, fmt.Errorf("unsupported YAML value %T", v)
}

func (s *state) resource(name, kind string) *resource {
	if r, ok := s.resources[name]; ok {
		return r
	}
	s.order++
	r := &resource{Name: name, Type: kind, Objects: []string{}, ResourceDeps: []string{}, PortForwards: []portForward{}, Labels: []string{}, Deps: []string{}, AutoInit: true, FirstDeploy: -1, Ready: -1, order: s.order}
	s.resources[name] = r
	return r
}

func (s *state) addDeps(fn string, r *resource, resourceDeps, labels starlark.Value) error {
	deps, err := toStrings(resourceDeps, fn)
	if err != nil {
		return err
	}
	r.ResourceDeps = append(r.ResourceDeps, deps...)
	ls, err := toStrings(labels, fn)
	if err != nil {
		return err
	}
	for _, l := range ls {
		if l == "" || strings.ContainsAny(l, " /") {
			return fmt.Errorf("%s: bad label %q", fn, l)
		}
	}
	r.Labels = append(r.Labels, ls...)
	return nil
}

func parsePortForwards(fn string, v starlark.Value) ([]portForward, error) {
	if v == nil || v == starlark.None {
		return nil, nil
	}
	items := []starlark.Value{}
	switch x := v.(type) {
	case *starlark.List:
		for i := 0; i < x.Len(); i++ {
			items = append(items, x.Index(i))
		}
	default:
		items = append(items, v)
	}
	out := []portForward{}
	for _, item := range items {
		switch x := item.(type) {
		case starlark.Int:
			p, _ := x.Int64()
			out = append(out, portForward{LocalPort: int(p), ContainerPort: int(p)})
		case starlark.String:
			text := string(x)
			name := ""
			if i := strings.Index(text, "/"); i >= 0 {
				return nil, fmt.Errorf("%s: port forward %q: paths are not supported here", fn, text)
			}
			parts := strings.Split(text, ":")
			if len(parts) > 2 {
				return nil, fmt.Errorf("%s: port forward %q: use LOCAL:CONTAINER", fn, text)
			}
			local, err := strconv.Atoi(parts[0])
			if err != nil {
				return nil, fmt.Errorf("%s: port forward %q: %v", fn, text, err)
			}
			remote := local
			if len(parts) == 2 {
				if remote, err = strconv.Atoi(parts[1]); err != nil {
					return nil, fmt.Errorf("%s: port forward %q: %v", fn, text, err)
				}
			}
			out = append(out, portForward{LocalPort: local, ContainerPort: remote, Name: name})
		default:
			return nil, fmt.Errorf("%s: port forward must be an int or a string, got %s", fn, item.Type())
		}
	}
	for _, pf := range out {
		if pf.LocalPort < 1 || pf.LocalPort > 65535 || pf.ContainerPort < 1 || pf.ContainerPort > 65535 {
			return nil, fmt.Errorf("%s: port forward %d:%d out of range", fn, pf.LocalPort, pf.ContainerPort)
		}
	}
	return out, nil
}

// finish does what Tilt does after the Tiltfile ran: assemble workloads into resources and check references.
func (s *state) finish() error {
	if s.context != "" && len(s.allowedContexts) > 0 {
		ok := false
		for _, c := range s.allowedContexts {
			ok = ok || c == s.context
		}
		if !ok && !strings.HasPrefix(s.context, "kind-") {
			return fmt.Errorf("context %q is not allowed", s.context)
		}
	}
	for _, o := range s.objects {
		if workloadKinds[o.Kind] {
			found := false
			for _, r := range s.resources {
				found = found || strings.EqualFold(r.Workload, o.Name)
			}
			if !found {
				r := s.resource(strings.ToLower(o.Name), "k8s")
				r.Workload = o.Name
			}
		}
	}
	for _, o := range s.objects {
		w := s.pairedWorkload(o)
		if w == "" {
			continue
		}
		for _, r := range s.resources {
			if strings.EqualFold(r.Workload, w) {
				r.Objects = append(r.Objects, o.selectorID())
			}
		}
	}
	for _, r := range s.resources {
		if r.Type == "k8s" && r.PodReadiness == "" {
			r.PodReadiness = "ignore"
			if r.Workload != "" {
				r.PodReadiness = kindPodReadiness[s.workloadKind(r.Workload)]
			}
		}
	}
	for _, img := range s.images {
		used := false
		for _, o := range s.objects {
			for _, ci := range o.Images {
				used = used || imageMatches(img.Ref, ci)
			}
		}
		if !used {
			return fmt.Errorf("docker_build: image %q is not used by any workload", img.Ref)
		}
	}
	for _, r := range s.resources {
		for _, d := range r.ResourceDeps {
			if _, ok := s.resources[d]; !ok {
				return fmt.Errorf("resource %q depends on %q, which does not exist", r.Name, d)
			}
			if d == r.Name {
				return fmt.Errorf("resource %q depends on itself", r.Name)
			}
		}
	}
	// cycles
	visiting, done := map[string]bool{}, map[string]bool{}
	var visit func(string) error
	visit = func(name string) error {
		if done[name] {
			return nil
		}
		if visiting[name] {
			return fmt.Errorf("resource dependency cycle through %q", name)
		}
		visiting[name] = true
		for _, d := range s.resources[name].ResourceDeps {
			if err := visit(d); err != nil {
				return err
			}
		}
		done[name] = true
		return nil
	}
	for name := range s.resources {
		if err := visit(name); err != nil {
			return err
		}
	}
	return nil
}

// simulateFirstDeploy plays Tilt's start-up in rounds: a resource's first deploy waits until every resource_deps
// entry has been ready once (Tilt's buildcontrol holds it otherwise). A local_resource is ready when its cmd has
// run (assumed to succeed); a k8s resource with pod_readiness 'ignore' when applied; with 'wait' when its pods are
// Ready ('succeeded': Succeeded) — never if it has no workload (nothing of Tilt's creates its pods), and for a workload listed in
// podsReadyAfter only once the named resource has been deployed (a sealed Vault answers 503 until unsealed).
func (s *state) simulateFirstDeploy(podsReadyAfter map[string]string) {
	for round := 0; round <= 2*len(s.resources)+2; round++ {
		deployable := []*resource{}
		for _, r := range s.resources {
			if r.FirstDeploy >= 0 {
				continue
			}
			ok := true
			for _, d := range r.ResourceDeps {
				ok = ok && s.resources[d].Ready >= 0
			}
			if ok {
				deployable = append(deployable, r)
			}
		}
		for _, r := range deployable {
			r.FirstDeploy = round
		}
		for _, r := range s.resources {
			if r.FirstDeploy < 0 || r.Ready >= 0 {
				continue
			}
			switch {
			case r.Type == "local", r.PodReadiness == "ignore":
				r.Ready = round
			case r.Workload == "":
			case podsReadyAfter[r.Name] == "":
				r.Ready = round
			default:
				if other, ok := s.resources[podsReadyAfter[r.Name]]; ok && other.FirstDeploy >= 0 {
					r.Ready = round
				}
			}
		}
	}
}

type output struct {
	Resources  []*resource    `json:"resources"`
	Images     []image        `json:"images"`
	YAMLFiles  []string       `json:"yamlFiles"`
	Objects    []k8sObject    `json:"objects"`
	LocalCalls []string       `json:"localCalls"`
	Contexts   []string       `json:"allowedContexts"`
	Settings   map[string]any `json:"settings"`
	Prints     []string       `json:"prints"`
}

func main() {
	s := &state{resources: map[string]*resource{}, settings: map[string]any{}, context: "kind-content-factory"}
	args := os.Args[1:]
	file := ""
	podsReadyAfter := map[string]string{}
	for len(args) > 0 {
		switch args[0] {
		case "--context":
			s.context, args = args[1], args[2:]
		case "--pods-ready-after":
			kv := strings.SplitN(args[1], "=", 2)
			if len(kv) != 2 {
				fmt.Fprintln(os.Stderr, "--pods-ready-after wants resource=resource")
				os.Exit(2)
			}
			podsReadyAfter[kv[0]] = kv[1]
			args = args[2:]
		case "--local":
			kv := strings.SplitN(args[1], "=", 2)
			if len(kv) != 2 {
				fmt.Fprintln(os.Stderr, "--local wants substring=output")
				os.Exit(2)
			}
			s.localOutputs = append(s.localOutputs, [2]string{kv[0], kv[1]})
			args = args[2:]
		default:
			file, args = args[0], args[1:]
		}
	}
	if file == "" {
		fmt.Fprintln(os.Stderr, "usage: charts-starlark [--context C] [--local substr=output] <Tiltfile>")
		os.Exit(2)
	}
	abs, _ := filepath.Abs(file)
	s.dir = filepath.Dir(abs)
	src, err := os.ReadFile(abs)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	thread := &starlark.Thread{
		Name:  "Tiltfile",
		Print: func(_ *starlark.Thread, msg string) { s.prints = append(s.prints, msg) },
		Load: func(_ *starlark.Thread, module string) (starlark.StringDict, error) {
			return nil, fmt.Errorf("load(%q): extensions are not stubbed; keep the Tiltfile to builtins", module)
		},
	}
	// The dialect Tilt enables.
	opts := &syntax.FileOptions{Set: true, While: true, TopLevelControl: true, GlobalReassign: true, Recursion: true}
	if _, err := starlark.ExecFileOptions(opts, thread, abs, src, s.builtins()); err != nil {
		var evalErr *starlark.EvalError
		if errors.As(err, &evalErr) {
			fmt.Fprintln(os.Stderr, evalErr.Backtrace())
		} else {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(1)
	}
	if err := s.finish(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s.simulateFirstDeploy(podsReadyAfter)
	out := output{Images: s.images, YAMLFiles: s.yamlFiles, Objects: s.objects, LocalCalls: s.localCalls, Contexts: s.allowedContexts, Settings: s.settings, Prints: s.prints}
	for _, r := range s.resources {
		out.Resources = append(out.Resources, r)
	}
	sort.Slice(out.Resources, func(i, j int) bool { return out.Resources[i].order < out.Resources[j].order })
	if out.Images == nil {
		out.Images = []image{}
	}
	if out.LocalCalls == nil {
		out.LocalCalls = []string{}
	}
	if out.Prints == nil {
		out.Prints = []string{}
	}
	var buf bytes.Buffer
	encoder := json.NewEncoder(&buf)
	encoder.SetIndent("", " ")
	_ = encoder.Encode(out)
	os.Stdout.Write(buf.Bytes())
}
