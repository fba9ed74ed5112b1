# An image for deploy/node-scan-job.yaml (no image is published yet):
#   docker build -t registry.example.com/kube4c:dev . && docker push registry.example.com/kube4c:dev
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath -ldflags "-s -w" -o /kube4c ./cmd/kube4c

FROM scratch
COPY --from=build /kube4c /kube4c
ENTRYPOINT ["/kube4c"]
