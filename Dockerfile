# releaselake: one static binary. Build: docker build -t releaselake .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/releaselake ./cmd/releaselake

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/releaselake /usr/local/bin/releaselake
WORKDIR /data
VOLUME ["/data"]
ENV RELEASELAKE_LAKE=/data/lake RELEASELAKE_ADDR=0.0.0.0:8080 RELEASELAKE_LOG=json
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["releaselake"]
CMD ["serve"]
