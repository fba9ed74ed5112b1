package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kube4c/kube4c/internal/catalog"
	"github.com/kube4c/kube4c/internal/controldoc"
	"github.com/spf13/cobra"
)

func newControlsCmd() *cobra.Command {
	var layer, framework, output string
	c := &cobra.Command{
		Use:   "controls",
		Short: "Print the control catalog",
		Long: `Print every control kube4c can report: its stable ID, layer, severity, title and framework
references. -o markdown renders the reference documentation (docs/controls.md is generated with
'kube4c controls -o markdown').`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var l catalog.Layer
			if layer != "" {
				var err error
				if l, err = catalog.ParseLayer(layer); err != nil {
					return &codeError{code: exitError, err: err}
				}
			}
			if framework != "" && !validFramework(framework) {
				return &codeError{code: exitError, err: fmt.Errorf("unknown framework %q (want %s)", framework, strings.Join(catalog.Frameworks, ", "))}
			}
			var cs []catalog.Control
			for _, ctl := range catalog.All() {
				if (l == "" || ctl.Layer == l) && (framework == "" || ctl.HasFramework(framework)) {
					cs = append(cs, ctl)
				}
			}
			w := c.OutOrStdout()
			switch output {
			case "table":
				return controldoc.Table(w, cs)
			case "json":
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(cs)
			case "markdown":
				return controldoc.Markdown(w, cs)
			}
			return &codeError{code: exitError, err: fmt.Errorf("unknown output format %q (want table, json or markdown)", output)}
		},
	}
	c.Flags().StringVar(&layer, "layer", "", "only controls of this layer (cloud, cluster, container, code)")
	c.Flags().StringVar(&framework, "framework", "", "only controls that reference this framework ("+strings.Join(catalog.Frameworks, ", ")+")")
	c.Flags().StringVarP(&output, "output", "o", "table", "output format: table, json or markdown")
	return c
}

func validFramework(f string) bool {
	for _, x := range catalog.Frameworks {
		if strings.EqualFold(f, x) {
			return true
		}
	}
	return false
}
