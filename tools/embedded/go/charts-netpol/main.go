// charts-netpol computes which peer can reach which (port included) from a set of Kubernetes
// NetworkPolicies, using cyclonus' policy matcher (an independent upstream implementation of the
// NetworkPolicy specification). Input on stdin, output on stdout, both JSON:
//
//	in:  {"policies":[NetworkPolicy...], "peers":[{"name","namespace","namespaceLabels","labels","ip","ports":[{"name","port","protocol"}]}]}
//	out: [{"from","to","port","protocol","allowed","ingress","egress"}]  for every ordered pair and every port of "to"
//
// A peer without namespace is outside the cluster (cyclonus never restricts it, only policies on the other side).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/mattfenwick/cyclonus/pkg/matcher"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

type port struct {
	Name     string `json:"name"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
}

type peer struct {
	Name            string            `json:"name"`
	Namespace       string            `json:"namespace"`
	NamespaceLabels map[string]string `json:"namespaceLabels"`
	Labels          map[string]string `json:"labels"`
	IP              string            `json:"ip"`
	Ports           []port            `json:"ports"`
}

type input struct {
	Policies []*networkingv1.NetworkPolicy `json:"policies"`
	Peers    []peer                        `json:"peers"`
}

type result struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
	Allowed  bool   `json:"allowed"`
	Ingress  bool   `json:"ingress"`
	Egress   bool   `json:"egress"`
}

func trafficPeer(p peer) *matcher.TrafficPeer {
	if p.Namespace == "" {
		return &matcher.TrafficPeer{IP: p.IP}
	}
	return &matcher.TrafficPeer{
		IP: p.IP,
		Internal: &matcher.InternalPeer{
			Namespace:       p.Namespace,
			NamespaceLabels: p.NamespaceLabels,
			PodLabels:       p.Labels,
		},
	}
}

func main() {
	var in input
	decoder := json.NewDecoder(os.Stdin)
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "charts-netpol: bad input:", err)
		os.Exit(2)
	}
	policy := matcher.BuildNetworkPolicies(false, in.Policies)
	results := []result{}
	for _, from := range in.Peers {
		for _, to := range in.Peers {
			for _, p := range to.Ports {
				protocol := corev1.Protocol(p.Protocol)
				if protocol == "" {
					protocol = corev1.ProtocolTCP
				}
				verdict := policy.IsTrafficAllowed(&matcher.Traffic{
					Source:           trafficPeer(from),
					Destination:      trafficPeer(to),
					ResolvedPort:     p.Port,
					ResolvedPortName: p.Name,
					Protocol:         protocol,
				})
				results = append(results, result{
					From: from.Name, To: to.Name, Port: p.Port, Protocol: string(protocol),
					Allowed: verdict.IsAllowed(), Ingress: verdict.Ingress.IsAllowed(), Egress: verdict.Egress.IsAllowed(),
				})
			}
		}
	}
	out := json.NewEncoder(os.Stdout)
	if err := out.Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, "charts-netpol:", err)
		os.Exit(1)
	}
}
